"""``sentiment score`` as a program for ``spark-submit`` (which runs a file, not a console script)::

    spark-submit --master yarn "$(python -c 'import sentiment_cli.cli.spark_submit as s; print(s.__file__)')" \\
        s3a://bucket/reviews/ s3a://bucket/scored/ --model my-model --id-column review_id

Its arguments and options are ``sentiment score``'s (``--help``), and so are its messages and exit codes;
without ``--master`` the job runs where ``spark-submit`` sends it.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from sentiment_cli.cli import build_app

    arguments = sys.argv[1:] if argv is None else argv
    build_app(("score",))(args=["score", *arguments], prog_name="spark-submit ... spark_submit.py")


if __name__ == "__main__":
    # Run as a file, Python puts this folder first on sys.path, where cli/inspect.py would stand in for the
    # standard library's inspect: the package is imported from where it is installed instead.
    import os

    if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
        del sys.path[0]
    main()
