"""What a screen a bank would accept must not show: the check behind `tests/browser/test_screens.py`.

A page fails when its visible text holds
- a raw code of a declared choice (`view_client`, `private_banking`, `controlling_shareholder`): every
  `choices` value of every model field and every `TextChoices` class of the project's `choices` modules
  and roles, matched case-sensitively as a whole word. Codes shorter than four characters (`M`, `C1`,
  `R2`), codes that are not plain ASCII (the loan classes are Chinese words) and codes whose label reads
  the same are left out: they read as words;
- a programmer's identifier: a snake_case or dotted word (`actor_name`, `tier_override.requested`,
  `pipeline.run`) or a job actor (`job:intake`);
- an unformatted number of more than four digits (`20000`, `759232.14`) or a negative zero (`-0%`);
- Django's empty choice `---------`.

Visible text = the text nodes the browser lays out, plus the labels of the options of visible selects;
input values and attribute values (option values, `title`, `data-*`) are not text. Exempt from the
number and identifier rules, because they are identifiers and not quantities or words: text inside an
element of class `ident` (client numbers, audit row numbers), `<code>` (an extract's column named in a
reject summary) and `<time>`; digits joined to a mask (`110108********1235`) are exempt from the
number rule. Raw choice codes are never exempt.
Dates (`2026-10-31`) and times never have more than four digits in a row.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from functools import cache

from django.apps import apps
from django.db import models
from django.utils import translation

CHOICE_MODULES = ("choices", "models")
MIN_CODE_LENGTH = 4

IDENTIFIER = re.compile(r"(?<![\w.@/-])[a-z][a-z0-9]*(?:[_.][a-z0-9]+)+(?![\w@/])|\bjob:[\w.]+")
LONG_NUMBER = re.compile(r"(?<![\d*])\d{5,}(?![\d*])")
NEGATIVE_ZERO = re.compile(r"(?<![\d.])-0(?:\.0+)?%?(?![\d.])")
EMPTY_CHOICE = re.compile(r"-{3,}")

# Collects the text a user sees: laid-out text nodes (with the exemption flag of their element) and the
# option labels of visible selects. Runs in the page.
VISIBLE_TEXT_JS = """() => {
  const out = [];
  const skip = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "TEXTAREA", "OPTION", "SELECT"]);
  const shown = (el) => {
    const style = getComputedStyle(el);
    return style.display !== "none" && style.visibility !== "hidden" && el.getClientRects().length > 0;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    if (!text || !el || skip.has(el.tagName) || el.closest("select, textarea")) continue;
    if (!shown(el)) continue;
    out.push({text, ident: !!el.closest(".ident, code, time"), where: el.tagName.toLowerCase()});
  }
  for (const select of document.querySelectorAll("select")) {
    if (!shown(select)) continue;
    for (const option of select.options) {
      const text = option.textContent.replace(/\\s+/g, " ").trim();
      if (text) out.push({text, ident: false, where: "option of #" + (select.id || select.name)});
    }
  }
  return out;
}"""

# Elements that stick out of the viewport, or out of their card, without a scrolling box between them
# and it. Runs in the page.
TOO_WIDE_JS = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "")
    + (el.dataset.testid ? "[data-testid=" + el.dataset.testid + "]" : "");
  if (document.documentElement.scrollWidth > width + 1) {
    out.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " px > " + width + " px");
  }
  const clips = (el, stop) => {
    for (let a = el.parentElement; a && a !== stop && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right > width + 1 && !clips(el, null)) {
      out.push(name(el) + " ends at " + Math.round(box.right) + " px, beyond the viewport (" + width + " px)");
      continue;
    }
    const card = el.parentElement && el.parentElement.closest(".card");
    if (card) {
      const outer = card.getBoundingClientRect();
      if (box.right > outer.right + 1 && !clips(el, card) && getComputedStyle(card).overflowX === "visible") {
        out.push(name(el) + " (" + Math.round(box.width) + " px) sticks out of its card ("
          + Math.round(outer.width) + " px)");
      }
    }
  }
  return out;
}"""


def _choice_classes() -> Iterable[type[models.Choices]]:
    for config in apps.get_app_configs():
        if not config.name.startswith("keyclient."):
            continue
        for module_name in CHOICE_MODULES:
            try:
                module = importlib.import_module(f"{config.name}.{module_name}")
            except ModuleNotFoundError:
                continue
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, models.Choices)
                    and value.__module__.startswith("keyclient.")
                ):
                    yield value
    from keyclient.security.roles import Action, Role

    yield Role
    yield Action


def _field_choices() -> Iterable[tuple[object, object]]:
    for model in apps.get_models():
        if not model.__module__.startswith("keyclient."):
            continue
        for field in model._meta.get_fields():
            yield from getattr(field, "flatchoices", None) or ()


@cache
def declared_codes() -> frozenset[str]:
    """Every declared choice code that would be a defect on screen (see the module docstring)."""
    pairs: list[tuple[object, object]] = list(_field_choices())
    for choices in _choice_classes():
        pairs.extend(choices.choices)
    codes = set()
    with translation.override("zh-hans"):
        for value, label in pairs:
            code = str(value)
            if len(code) < MIN_CODE_LENGTH or not code.isascii() or code == str(label):
                continue
            codes.add(code)
    return frozenset(codes)


def _code_pattern(codes: Iterable[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(c) for c in sorted(codes, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_])(?:{alternatives})(?![A-Za-z0-9_])")


def problems(texts: Iterable[dict], codes: Iterable[str] | None = None) -> list[str]:
    """What is wrong with the visible texts (`{"text", "ident", "where"}` as VISIBLE_TEXT_JS gives them)."""
    code_re = _code_pattern(declared_codes() if codes is None else codes)
    found: list[str] = []
    for item in texts:
        text, where = item["text"], item["where"]
        codes_here = {match.group(0) for match in code_re.finditer(text)}
        found += [f"raw code {code!r} in <{where}>: {text[:120]!r}" for code in sorted(codes_here)]
        if not item.get("ident"):
            for match in IDENTIFIER.finditer(text):
                if match.group(0) not in codes_here:
                    found.append(f"identifier {match.group(0)!r} in <{where}>: {text[:120]!r}")
            for match in LONG_NUMBER.finditer(text):
                found.append(f"unformatted number {match.group(0)!r} in <{where}>: {text[:120]!r}")
        for match in NEGATIVE_ZERO.finditer(text):
            found.append(f"negative zero {match.group(0)!r} in <{where}>: {text[:120]!r}")
        if EMPTY_CHOICE.search(text):
            found.append(f"empty choice label in <{where}>: {text[:120]!r}")
    return found
