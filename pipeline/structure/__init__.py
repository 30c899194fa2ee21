"""Structure: where each document of a file begins, its outline, its header, what it cites.

    split       several documents in one file (a cover letter, then the plan it forwards)
    sections    the outline: I / 1 / 1.1 / a) / - / +, Chương / Điều, with stable ids
    metadata    type, number, date, place, province, issuer, title, signer, recipients
    references  citations of other documents
"""
