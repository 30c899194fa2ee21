"""The trained models, installed with chithi as the package `pipeline.models` (see pyproject.toml).

One folder per model, each with its MODEL_CARD.md: `lm` (syllable trigram language model),
`channel` (English-OCR noisy channel), `ner` (spaCy NER). `pipeline.resources` finds them.
"""
