package reconcile

// testify cannot build in this module yet (go.sum lacks its YAML
// dependency), so these few helpers stand in for require and assert.

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func msg(args []any) string {
	if len(args) == 0 {
		return ""
	}
	if f, ok := args[0].(string); ok {
		return fmt.Sprintf(f, args[1:]...) + ": "
	}
	return fmt.Sprint(args...) + ": "
}

func equal(t testing.TB, fatal bool, want, got any, args []any) bool {
	t.Helper()
	if reflect.DeepEqual(want, got) {
		return true
	}
	f := t.Errorf
	if fatal {
		f = t.Fatalf
	}
	if s := fmt.Sprint(got); len(s) > 300 {
		f("%sgot a different value (%T), want another", msg(args), got)
		return false
	}
	f("%sgot %v, want %v", msg(args), got, want)
	return false
}

func requireEqual(t testing.TB, want, got any, args ...any) {
	t.Helper()
	equal(t, true, want, got, args)
}
func assertEqual(t testing.TB, want, got any, args ...any) bool {
	t.Helper()
	return equal(t, false, want, got, args)
}

func requireTrue(t testing.TB, ok bool, args ...any) {
	t.Helper()
	if !ok {
		t.Fatalf("%sgot false, want true", msg(args))
	}
}

func assertTrue(t testing.TB, ok bool, args ...any) {
	t.Helper()
	if !ok {
		t.Errorf("%sgot false, want true", msg(args))
	}
}

func assertFalse(t testing.TB, ok bool, args ...any)  { t.Helper(); assertTrue(t, !ok, args...) }
func requireFalse(t testing.TB, ok bool, args ...any) { t.Helper(); requireTrue(t, !ok, args...) }

func requireNoError(t testing.TB, err error, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%sunexpected error: %v", msg(args), err)
	}
}

func requireErrorIs(t testing.TB, err, target error, args ...any) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%sgot error %v, want %v", msg(args), err, target)
	}
}
