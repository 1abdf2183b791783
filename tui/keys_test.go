package tui

import (
	"reflect"
	"testing"

	"charm.land/bubbles/v2/key"
)

// TestKeysDoNotClash: every key the explorer binds, its own and the
// methods' parameter keys from the registry, means one thing.
func TestKeysDoNotClash(t *testing.T) {
	km := DefaultKeyMap()
	owner := map[string]string{}
	bind := func(name string, b key.Binding) {
		for _, k := range b.Keys() {
			if prev, ok := owner[k]; ok && prev != name {
				t.Errorf("key %q is both %s and %s", k, prev, name)
			}
			owner[k] = name
		}
	}
	v := reflect.ValueOf(km)
	for i := 0; i < v.NumField(); i++ {
		if b, ok := v.Field(i).Interface().(key.Binding); ok {
			bind(v.Type().Field(i).Name, b)
		}
	}
	if len(km.Params) == 0 {
		t.Fatal("no parameter keys from the registry")
	}
	for _, p := range km.Params {
		bind(p.Param.Name+" down", p.Down)
		bind(p.Param.Name+" up", p.Up)
		bind(p.Param.Name+" auto", p.Auto)
	}
}
