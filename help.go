package main

import (
	"embed"

	"tweedie/internal/cli"
)

// helpFiles hold each command's help text (cli.Texts): help/run.txt,
// help/prior-export.txt, help/tweedie.txt for the explorer.
//
//go:embed help/*.txt
var helpFiles embed.FS

var helpTexts = cli.Texts{FS: helpFiles, Dir: "help"}
