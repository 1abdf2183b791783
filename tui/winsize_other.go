//go:build !unix

package tui

import "tweedie/tui/termcaps"

func kernelCellSize() termcaps.Size { return termcaps.Size{} }
