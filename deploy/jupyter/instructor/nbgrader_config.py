"""nbgrader settings of the instructor's servers: the course folder (a private clone of the
course repository, whose own nbgrader_config.py nbgrader then reads) for the Formgrader and
for nbgrader's commands in the instructor's terminals."""

import os

c = get_config()  # noqa: F821  (nbgrader provides get_config)

c.CourseDirectory.root = os.path.expanduser(os.environ.get("DLCOURSE_COURSE_ROOT", "~/dlcourse"))
