"""Every entry of each given .po file is translated (no empty msgstr, no fuzzy)."""

import sys

import polib


def main():
    problems = 0
    for path in sys.argv[1:]:
        po = polib.pofile(path)
        for entry in po:
            if not entry.msgstr or "fuzzy" in entry.flags:
                print(f"{path}: untranslated {entry.msgid!r}")
                problems += 1
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
