package reconcile

import (
	"errors"
	"strconv"

	"github.com/idbits/idbits/bitmap"
)

// JoinOp is a set operation of Join.
type JoinOp uint8

// Join operations. The zero JoinOp is not an operation.
const (
	// JoinAnd keeps the profiles in every audience.
	JoinAnd JoinOp = 1 + iota
	// JoinOr keeps the profiles in any audience.
	JoinOr
	// JoinAndNot keeps the profiles of the first audience that are in none
	// of the others.
	JoinAndNot
)

// ErrJoinOp: Join or JoinLen was given a JoinOp that is not one of the
// constants.
var ErrJoinOp = errors.New("reconcile: unknown join operation")

// String returns "and", "or", "and-not", or "JoinOp(N)" for another value.
func (op JoinOp) String() string {
	switch op {
	case JoinAnd:
		return "and"
	case JoinOr:
		return "or"
	case JoinAndNot:
		return "and-not"
	}
	return "JoinOp(" + strconv.Itoa(int(op)) + ")"
}

// MarshalText returns String's text, so that reports print the operation by
// name.
func (op JoinOp) MarshalText() ([]byte, error) { return []byte(op.String()), nil }

// JoinInput counts one input of a join.
type JoinInput struct {
	// Members counts the members as given, and Profiles the profiles of the
	// view they project onto: fewer when profiles merged since the audience
	// was built, or members were erased or are unknown to the view.
	Members  uint64 `json:"members"`
	Profiles uint64 `json:"profiles"`
}

// JoinReport counts a join. Its JSON form uses the snake_case names of the
// tags.
type JoinReport struct {
	Op     JoinOp      `json:"op"`
	Inputs []JoinInput `json:"inputs"`
	Result uint64      `json:"result"` // profiles in the result
}

// Join combines audiences that came from different systems, or were built
// under different views, in the profile space of view v: it projects each
// onto v (View.Project: members go to the current profile of their
// identity, so an audience of identity ordinals works too) and then applies
// op. With no audiences the result is empty. It fails only for an unknown op
// (ErrJoinOp). Join is safe to call concurrently.
//
// An audience already made of live profiles of v is used as it is. The
// first time Join or JoinLen meets such an audience under v, one bitmap
// difference with v's profiles tells (about the cost of counting the
// audience against them); v then remembers it, as it remembers what it made
// itself (View.Project results, Join results, View.Profiles), so that
// joining it again under v costs no check and no projection, only the set
// operation. The memory is that of View.Project: by the identity of the
// members, holding no audience alive, and used only while no identity has
// been erased since v was taken (after an erasure, each use takes one pass
// over the members, or a projection).
func Join(v *View, op JoinOp, as ...bitmap.Audience) (bitmap.Audience, JoinReport, error) {
	ps, rep, err := joinInputs(v, op, as)
	if err != nil || len(ps) == 0 {
		return bitmap.Audience{}, rep, err
	}
	var out bitmap.Audience
	switch op {
	case JoinAnd:
		out = bitmap.AndAll(ps...)
	case JoinOr:
		out = bitmap.OrAll(ps...)
	case JoinAndNot:
		out = ps[0]
		if len(ps) > 1 {
			out = bitmap.AndNot(ps[0], bitmap.OrAll(ps[1:]...))
		}
	}
	rep.Result = out.Len()
	v.remember(out)
	return out, rep, nil
}

// JoinLen is Join without the result: it counts it. Two audiences are
// counted without building their combination (bitmap.AndLen, OrLen,
// AndNotLen). Inputs are checked, remembered and projected as Join does
// them, so counting audiences that v made or has seen costs what the
// bitmap count costs.
func JoinLen(v *View, op JoinOp, as ...bitmap.Audience) (JoinReport, error) {
	ps, rep, err := joinInputs(v, op, as)
	if err != nil || len(ps) == 0 {
		return rep, err
	}
	switch {
	case len(ps) == 1:
		rep.Result = ps[0].Len()
	case len(ps) == 2 && op == JoinAnd:
		rep.Result = bitmap.AndLen(ps[0], ps[1])
	case len(ps) == 2 && op == JoinOr:
		rep.Result = bitmap.OrLen(ps[0], ps[1])
	case op == JoinAndNot:
		rest := ps[1]
		if len(ps) > 2 {
			rest = bitmap.OrAll(ps[1:]...)
		}
		rep.Result = bitmap.AndNotLen(ps[0], rest)
	case op == JoinAnd:
		rep.Result = bitmap.AndAll(ps...).Len()
	default:
		rep.Result = bitmap.OrAll(ps...).Len()
	}
	return rep, nil
}

// joinInputs checks op and projects the inputs onto v.
func joinInputs(v *View, op JoinOp, as []bitmap.Audience) ([]bitmap.Audience, JoinReport, error) {
	rep := JoinReport{Op: op, Inputs: make([]JoinInput, len(as))}
	if op < JoinAnd || op > JoinAndNot {
		return nil, rep, ErrJoinOp
	}
	ps := make([]bitmap.Audience, len(as))
	for i, a := range as {
		ps[i] = project(v, a)
		rep.Inputs[i] = JoinInput{Members: a.Len(), Profiles: ps[i].Len()}
	}
	return ps, rep, nil
}

// project is v.Project(a), but returns a itself when every member of a is
// a live profile of v. An audience v knows (see View.Project) needs no
// check; another is checked with a bitmap difference against v's profiles,
// which builds nothing, and remembered if it passes. If identities were
// erased since v was taken, one pass over the members tells whether the
// profiles are still live. A projection it builds is not remembered: it
// does not outlive the join unless Join returns it, and Join remembers its
// result.
func project(v *View, a bitmap.Audience) bitmap.Audience {
	if !v.isKnown(a) {
		if bitmap.AndNotLen(a, v.profiles) != 0 {
			return v.projectProfiles(a)
		}
		v.remember(a)
	}
	if v.current() {
		return a
	}
	for m := range a.All() {
		if !v.rv.Live(m) || v.dict.Erased(v.rv.Key(m)) {
			return v.projectProfiles(a)
		}
	}
	return a
}
