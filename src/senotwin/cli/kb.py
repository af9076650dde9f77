import typer

app = typer.Typer(help="Query and export the knowledge base of the review.", no_args_is_help=True)
