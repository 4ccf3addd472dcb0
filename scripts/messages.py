"""Keep the Dutch message catalogue in step with the code (Babel's extractor and catalogue).

    .venv/bin/python scripts/messages.py          # add new messages (empty), drop unused ones
    .venv/bin/python scripts/messages.py --check  # exit 1 when a message has no translation

Messages are English in the code (`_()`, `gettext`, `N_`) and templates (`_()`, `{% trans %}`);
portal/web/locale/nl/LC_MESSAGES/messages.po holds their Dutch. Fill in the empty `msgstr`s.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from portal.web.i18n import LOCALE_DIR, extract_messages

PO = LOCALE_DIR / "nl" / "LC_MESSAGES" / "messages.po"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    with PO.open("rb") as f:
        old = read_po(f, locale="nl")
    found = extract_messages()
    missing = sorted(m for m in found if not (old.get(m) and old.get(m).string))
    if args.check:
        for m in missing:
            print(f"no Dutch for: {m!r}")
        sys.exit(1 if missing else 0)
    new = Catalog(locale="nl", project="Omgevingsmonitor", version="", fuzzy=False,
                  header_comment=old.header_comment, msgid_bugs_address="",
                  last_translator="", language_team="")
    for m in sorted(found):
        have = old.get(m)
        new.add(m, have.string if have else "", flags=have.flags - {"fuzzy"} if have else ())
    with PO.open("wb") as f:
        write_po(f, new, no_location=True, omit_header=False, sort_output=True, width=100)
    print(f"{len(found)} messages, {len(missing)} without Dutch" + (": " if missing else "")
          + "; ".join(missing))


if __name__ == "__main__":
    main()
