"""Build pipeline/data/admin_units.json: Vietnam's provinces and their districts before the 2025 reform.

The names are the General Statistics Office (Tổng cục Thống kê) lists as packaged by the PyPI
package `vietnam-provinces` 0.6.0 (63 provinces, ~700 districts; the last release before the
2025 merger of provinces). Only the facts (unit names and types) are kept; the package is not a
runtime dependency.

    pip install --no-deps --target /tmp/vp vietnam-provinces==0.6.0
    python scripts/build_admin_units.py /tmp/vp/vietnam_provinces/data/nested-divisions.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "pipeline" / "data" / "admin_units.json"
PREFIXES = ("Thành phố ", "Tỉnh ", "Quận ", "Huyện ", "Thị xã ")
# Names valid before the 2025 reform where the GSO list already has the new one, and the
# other spellings documents use. A province is reported under its canonical name.
RENAMED = {"Huế": "Thừa Thiên Huế"}
ALIASES = {"Thừa Thiên Huế": ["Thừa Thiên - Huế", "Huế"], "Hồ Chí Minh": ["TP. Hồ Chí Minh", "TP.HCM", "TPHCM"]}


def short_name(name: str) -> tuple[str, str]:
    """'Tỉnh Lai Châu' → ('Lai Châu', 'tỉnh'); 'Thành phố Huế' → ('Huế', 'thành phố')."""
    for prefix in PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):], prefix.strip().lower()
    return name, ""


def build(nested: list[dict]) -> dict:
    provinces = []
    for province in nested:
        name, kind = short_name(province["name"])
        name = RENAMED.get(name, name)
        districts = []
        for district in province.get("districts", []):
            dname, dkind = short_name(district["name"])
            districts.append({"name": dname, "type": dkind})
        provinces.append({"name": name, "type": kind, "aliases": ALIASES.get(name, []), "districts": districts})
    return {
        "_comment": "Provinces and districts of Viet Nam before the 2025 reform (GSO lists via vietnam-provinces 0.6.0). "
        "Regenerate with scripts/build_admin_units.py.",
        "provinces": provinces,
    }


def main(path: str) -> None:
    data = build(json.loads(Path(path).read_text("utf-8")))
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", "utf-8")
    n_districts = sum(len(p["districts"]) for p in data["provinces"])
    print(f"{len(data['provinces'])} provinces, {n_districts} districts → {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
