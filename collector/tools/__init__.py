"""Commands around the product rather than in it: the end-to-end demo and the certificate helper.

May import anything in the collector (they are composition roots of their own).
"""
