"""Print pip constraints pinning each floor in pyproject.toml to its oldest minor release.

``name>=X.Y`` becomes ``name==X.Y.*`` for the runtime dependencies and the extras
named on the command line (where an extra raises a runtime floor, the higher one), so
CI's oldest-versions leg tests exactly the floors pyproject.toml claims (each minor's
latest patch), and a floor raised there is tested here without editing this file:

    python .ci/oldest.py plot scikeras > constraints.txt
"""

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
requirements = list(project["dependencies"])
for extra in sys.argv[1:]:
    requirements += project["optional-dependencies"][extra]
floors = {}
for requirement in requirements:
    match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?>=([0-9]+(?:\.[0-9]+)?)(?:\.[0-9]+)*",
                         requirement.replace(" ", ""))
    if match is None:
        sys.exit(f"{requirement!r}: not a 'name>=X.Y' floor; pin it here by hand")
    name, floor = match.group(1).lower(), tuple(int(p) for p in match.group(3).split("."))
    floors[name] = max(floors.get(name, floor), floor)
for name, floor in floors.items():
    print(f"{name}=={'.'.join(map(str, floor))}.*")
