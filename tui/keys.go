package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every key of the explorer. Bindings that do nothing in the
// current state are disabled, so help never lists them.
type KeyMap struct {
	Prev, Next         key.Binding // one step
	Prev10, Next10     key.Binding
	Prev100, Next100   key.Binding
	First, Last        key.Binding
	Play               key.Binding
	Faster, Slower     key.Binding
	Method             key.Binding
	SigmaDown, SigmaUp key.Binding
	RDown, RUp, RAuto  key.Binding
	ZetaDown, ZetaUp   key.Binding
	Operator           key.Binding
	NextImage          key.Binding
	PrevImage          key.Binding
	Reseed             key.Binding
	Compare            key.Binding
	Lab                key.Binding
	Graphics           key.Binding
	Help               key.Binding
	Quit               key.Binding
}

// DefaultKeyMap returns the explorer's keys.
func DefaultKeyMap() KeyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return KeyMap{
		Prev:      b([]string{"left", "h"}, "←", "step back"),
		Next:      b([]string{"right"}, "→", "step on"),
		Prev10:    b([]string{"["}, "[", "back 10"),
		Next10:    b([]string{"]"}, "]", "on 10"),
		Prev100:   b([]string{"pgup"}, "pgup", "back 100"),
		Next100:   b([]string{"pgdown"}, "pgdn", "on 100"),
		First:     b([]string{"home"}, "home", "first step"),
		Last:      b([]string{"end"}, "end", "last step"),
		Play:      b([]string{"space"}, "space", "play/pause"),
		Faster:    b([]string{"+", "="}, "+", "faster"),
		Slower:    b([]string{"-", "_"}, "-", "slower"),
		Method:    b([]string{"m"}, "m", "method"),
		SigmaDown: b([]string{"s"}, "s", "σ down"),
		SigmaUp:   b([]string{"S"}, "S", "σ up"),
		RDown:     b([]string{"r"}, "r", "r down"),
		RUp:       b([]string{"R"}, "R", "r up"),
		RAuto:     b([]string{"a"}, "a", "r auto"),
		ZetaDown:  b([]string{"z"}, "z", "ζ down"),
		ZetaUp:    b([]string{"Z"}, "Z", "ζ up"),
		Operator:  b([]string{"o"}, "o", "next operator"),
		NextImage: b([]string{"n"}, "n", "next image"),
		PrevImage: b([]string{"p"}, "p", "previous image"),
		Reseed:    b([]string{"e"}, "e", "reseed"),
		Compare:   b([]string{"c"}, "c", "compare ΠG/DPS"),
		Lab:       b([]string{"l"}, "l", "lab"),
		Graphics:  b([]string{"g"}, "g", "graphics mode"),
		Help:      b([]string{"?"}, "?", "more keys"),
		Quit:      b([]string{"q", "ctrl+c"}, "q", "quit"),
	}
}

// ShortHelp is the one-line help bar.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Prev, k.Next, k.Play, k.Method, k.SigmaDown, k.RDown, k.ZetaDown, k.Compare, k.Lab, k.Help, k.Quit}
}

// FullHelp is the help shown by '?'.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Prev, k.Next, k.Prev10, k.Next10, k.Prev100, k.Next100, k.First, k.Last},
		{k.Play, k.Faster, k.Slower, k.Method, k.Compare, k.Lab, k.Reseed},
		{k.SigmaDown, k.SigmaUp, k.RDown, k.RUp, k.RAuto, k.ZetaDown, k.ZetaUp},
		{k.Operator, k.NextImage, k.PrevImage, k.Graphics, k.Help, k.Quit},
	}
}
