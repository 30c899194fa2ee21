"""Vietnamese text: syllables and tone marks, folded forms, phrase matching, numbers, codes, places.

    vietnamese  syllable structure, tone placement, diacritic stripping, tokens
    fold        fold / lower / word_key / plain_words: the case- and mark-insensitive forms
    phrases     syllables and longest-first phrase matching (the gazetteers' matcher)
    match       regex helpers: alternations as tries, folded phrases, span overlaps
    numbers     Vietnamese numbers, ranges, dates and periods
    codes       document numbers and header dates, on folded text
    places      provinces and districts
"""
