def coverage_panel(**kwargs):
    return None
