"""Extract: the rule extractors and the NER model, one module per field.

    markets     destination countries, regions and market criteria
    agencies    bodies named in the plan (grammar over body types) with their roles (roles.py)
    targets     numeric targets in running text; quota tables (tables.py); quantities.py
    deadlines   dated deadlines and reporting schedules
    funding     sources of funds and amounts
    tasks       the actionable items of the plan, with lead and cooperating bodies
    ner         a trained spaCy NER over the repaired lines, merged with the rules (merge.py)

`pipeline.extract(source)` runs the whole pipeline on a file or a text (`pipeline.runner.extract`).
"""

from .._callable import make_callable

make_callable(__name__, "pipeline.runner:extract")
