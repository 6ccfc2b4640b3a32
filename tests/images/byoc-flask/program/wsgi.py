from predictor import app  # noqa: F401 - gunicorn imports `wsgi:app`
