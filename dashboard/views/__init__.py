"""The dashboard's pages, one script per page, run by ``st.navigation`` in ``dashboard/app.py``."""
