// Trail log files and digest files: layout, hashing, signing (see aws-wire.md §5).
