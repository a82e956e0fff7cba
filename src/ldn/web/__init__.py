"""The web app for clinicians, patients, pharmacists and admins: server-rendered pages
(Jinja2 + htmx, every asset vendored so it works offline) that call the same use cases as the
API (``pages/``), mounted on the API's FastAPI app by :func:`ldn.web.app.mount_web`."""
