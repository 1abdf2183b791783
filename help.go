package main

import "embed"

// helpFiles hold each command's help text, help/NAME.txt.
//
//go:embed help/*.txt
var helpFiles embed.FS

// helpText is help/NAME.txt; it panics when the file is missing (they are
// embedded at build time and every one is read by the tests).
func helpText(name string) string {
	b, err := helpFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		panic(err)
	}
	return string(b)
}

// exitCodesHelp ends the help of every subcommand that runs something.
var exitCodesHelp = helpText("exit-status")
