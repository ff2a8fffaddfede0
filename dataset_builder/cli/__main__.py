"""``python -m dataset_builder.cli``: the ``akhbar`` command without the console script."""

from dataset_builder.cli import main

main()
