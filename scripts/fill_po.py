"""Fill an exported .po file with translations from a msgid -> msgstr table.

Usage: python scripts/fill_po.py exported.po TABLE [TABLE...] output.po
Each TABLE is an earlier .po of the addon (its translations are kept) or a
tab-separated file (msgid<TAB>msgstr); a later table wins. Msgids that are already Chinese
(demo data) translate to themselves. Exits non-zero listing the msgids left
untranslated, so a complete translation is checked, not assumed.
"""

import re
import sys

import polib

CJK = re.compile(r"[\u4e00-\u9fff]")


def read_table(path):
    table = {}
    with open(path, encoding="utf-8") as table_file:
        for line in table_file:
            if line.strip() and not line.startswith("#"):
                msgid, _, msgstr = line.rstrip("\n").partition("\t")
                table[msgid.replace("\\n", "\n")] = msgstr.replace("\\n", "\n")
    return table


def read_tables(paths):
    table = {}
    for path in paths:
        if path.endswith(".po"):
            table.update({entry.msgid: entry.msgstr for entry in polib.pofile(path) if entry.msgstr})
        else:
            table.update(read_table(path))
    return table


def main():
    exported, *table_paths, output = sys.argv[1:]
    table = read_tables(table_paths)
    po = polib.pofile(exported)
    # the export leaves the language headers empty: keep the addon's own
    for path in table_paths:
        if path.endswith(".po"):
            earlier = polib.pofile(path).metadata
            for key in ("Language-Team", "Language"):
                if earlier.get(key):
                    po.metadata[key] = earlier[key]
    missing = []
    for entry in po:
        if entry.msgid in table:
            entry.msgstr = table[entry.msgid]
        elif CJK.search(entry.msgid) or not re.search(r"[A-Za-z]", entry.msgid):
            entry.msgstr = entry.msgid
        else:
            missing.append(entry.msgid)
    po.save(output)
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
