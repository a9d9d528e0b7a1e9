"""One module per CLI subcommand, each exposing `<name>_command`. Modules import only
click at the top; anything heavy is imported inside the command body."""
