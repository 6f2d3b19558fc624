from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessAction(models.TextChoices):
    VIEW_CLIENT = "view_client", _("Opened a client")
    UNMASK_FIELD = "unmask_field", _("Unmasked a field")
    EXPORT_LIST = "export_list", _("Exported a list")
    SEARCH_IDENTIFIER = "search_identifier", _("Searched by a full identifier")


class EventVerb(models.TextChoices):
    """The business events the code records, with the label the audit trail shows for each."""

    EXPORT_MADE = "export_made", _("Export made")
    INTAKE_LOADED = "intake.loaded", _("Extracts loaded")
    LOGIN_LOCKED = "login_locked", _("Login locked")
    PIPELINE_PRUNE = "pipeline.prune", _("Daily figures pruned")
    PIPELINE_RUN = "pipeline.run", _("Pipeline run")
    PROMINENCE_RECORDED = "prominence.recorded", _("Prominence recorded")
    PROMINENCE_WITHDRAWN = "prominence.withdrawn", _("Prominence withdrawn")
    TIER_CHANGED = "tier.changed", _("Tier changed")
    TIER_OVERRIDE_REQUESTED = "tier_override.requested", _("Tier decision requested")
    TIER_OVERRIDE_APPROVED = "tier_override.approved", _("Tier decision approved")
    TIER_OVERRIDE_REJECTED = "tier_override.rejected", _("Tier decision rejected")
    TIER_OVERRIDE_ENDED = "tier_override.ended", _("Tier decision ended")
    TIER_POLICY_DRAFTED = "tier_policy.drafted", _("Tier policy drafted")
    TIER_POLICY_EDITED = "tier_policy.edited", _("Tier policy draft edited")
    TIER_POLICY_PUBLISHED = "tier_policy.published", _("Tier policy published")
    SERVICE_LEVELS_EDITED = "service_levels.edited", _("Service levels of a draft policy edited")
    SERVICE_LEVEL_GRANTED = "service_level.granted", _("Service level granted to a client")
    SERVICE_LEVEL_ENDED = "service_level.ended", _("Service level grant ended")
    TEAM_MEMBER_ADDED = "service_team.added", _("Service team member added")
    TEAM_ROLE_CHANGED = "service_team.role_changed", _("Service team role changed")
    TEAM_MEMBER_REMOVED = "service_team.removed", _("Service team member removed")
    USER_DEACTIVATED = "org.user_deactivated", _("Staff member deactivated")
    USER_REACTIVATED = "org.user_reactivated", _("Staff member reactivated")
    UNIT_CLOSED = "org.unit_closed", _("Org unit closed")
    TWO_FACTOR_ENROLLED = "two_factor_enrolled", _("Authenticator enrolled")
    TWO_FACTOR_RESET_REQUESTED = "two_factor_reset_requested", _("Authenticator reset requested")
    TWO_FACTOR_RESET_APPROVED = "two_factor_reset_approved", _("Authenticator reset approved")
    TWO_FACTOR_RESET_REJECTED = "two_factor_reset_rejected", _("Authenticator reset rejected")
    DEMO_CODE_SHOWN = "demo_code_shown", _("Demo two-factor code shown")
    SEARCH_LIMIT_REACHED = "search_limit_reached", _("Identifier search limit reached")
    KEYS_ROTATED = "security.keys_rotated", _("Encryption keys rotated")
    JOB_STARTED = "job.started", _("Job started")
    JOB_RETRIED = "job.retried", _("Job retried")
    JOB_REAPED = "job.reaped", _("Job marked failed (worker gone)")
    NIGHTLY_STARTED = "nightly.started", _("Nightly run started")
    NIGHTLY_FAILED = "nightly.failed", _("Nightly run failed")
    NIGHTLY_DONE = "nightly.done", _("Nightly run done")
    VALUATION_RUN = "valuation.run", _("Month-end valuation run")


class JobName(models.TextChoices):
    """The named background jobs that act on their own behalf (`actors.Job`), as the screens show them."""

    INTAKE = "intake", _("Intake of core-banking extracts")
    PIPELINE = "pipeline", _("Indicator pipeline")
    PIPELINE_MONTH_END = "pipeline.month_end", _("Month-end pipeline")
    PIPELINE_PRUNE = "pipeline.prune", _("Pruning of daily figures")
    VALUATION = "valuation", _("Month-end valuation")
    DEMO_ORG = "demo.org", _("Demo set-up")
    DEMO_CODE = "demo.code", _("Demo two-factor codes")
    NIGHTLY = "nightly", _("Nightly run")
    OPERATOR = "operator", _("Operator at the terminal")
    JOBS_REAPER = "jobs.reaper", _("Job reaper")
    SECURITY_ROTATE_KEYS = "security.rotate_keys", _("Key rotation")
    SECURITY_LOCKOUT = "security.lockout", _("Login lockout")
