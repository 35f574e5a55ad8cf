"""nbgrader settings for every user of the hub: the course and the shared exchange.

The hub puts this folder on every server's JUPYTER_CONFIG_PATH and sets the variables.
"""

import os

c = get_config()  # noqa: F821  (nbgrader provides get_config)

c.CourseDirectory.course_id = os.environ.get("DLCOURSE_COURSE_ID", "dlcourse")
c.Exchange.root = os.environ.get("DLCOURSE_EXCHANGE", "/srv/nbgrader/exchange")
# Validate lists every failing test cell, not only the first
c.Validator.validate_all = True
