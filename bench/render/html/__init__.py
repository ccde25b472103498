"""The HTML report: ``page`` builds it as plain data, ``plots`` draws its figures, ``document`` writes the file."""
