"""Django's date formats in the site's words (FORMAT_MODULE_PATH), for what the admin shows as Django renders it."""
