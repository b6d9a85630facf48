package reconcile

import (
	"errors"
	"fmt"
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
	// Members counts the profiles as given, and Profiles the profiles of
	// the view they project onto: fewer when profiles merged since the
	// input was made, or lost their key to an erasure.
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

// Join combines sets of profiles of one graph, made under any of its views,
// in the profile space of view v: it projects each onto v (View.Project)
// and then applies op. With no inputs the result is empty. It fails for an
// unknown op (ErrJoinOp) or profiles of another graph (ErrForeignView).
// Join is safe to call concurrently.
//
// Inputs made under v (View.Profiles, and the results of Join, Import and
// Project under v) cost nothing to project, nor do those made under an
// older view when no profile number died since (View.Project says more), so
// joining them costs only the set operation.
func Join(v *View, op JoinOp, as ...Profiles) (Profiles, JoinReport, error) {
	rep := JoinReport{Op: op, Inputs: make([]JoinInput, len(as))}
	var arr [4]bitmap.Audience
	ps, err := projectInputs(v, op, as, arr[:0])
	if err != nil {
		return Profiles{}, rep, err
	}
	for i, a := range as {
		rep.Inputs[i] = JoinInput{Members: a.Len(), Profiles: ps[i].Len()}
	}
	if len(ps) == 0 {
		return Profiles{v: v}, rep, nil
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
	return Profiles{set: out, v: v}, rep, nil
}

// JoinLen is Join without the result: it counts the profiles Join would
// return. Two inputs are counted without building their combination
// (bitmap.AndLen, OrLen, AndNotLen). Inputs are projected as Join projects
// them, so counting two sets made under v costs what the bitmap count
// costs, and allocates nothing.
func JoinLen(v *View, op JoinOp, as ...Profiles) (uint64, error) {
	var arr [4]bitmap.Audience
	ps, err := projectInputs(v, op, as, arr[:0])
	if err != nil || len(ps) == 0 {
		return 0, err
	}
	switch {
	case len(ps) == 1:
		return ps[0].Len(), nil
	case len(ps) == 2 && op == JoinAnd:
		return bitmap.AndLen(ps[0], ps[1]), nil
	case len(ps) == 2 && op == JoinOr:
		return bitmap.OrLen(ps[0], ps[1]), nil
	case op == JoinAndNot:
		rest := ps[1]
		if len(ps) > 2 {
			rest = bitmap.OrAll(ps[1:]...)
		}
		return bitmap.AndNotLen(ps[0], rest), nil
	case op == JoinAnd:
		return bitmap.AndAll(ps...).Len(), nil
	default:
		return bitmap.OrAll(ps...).Len(), nil
	}
}

// projectInputs checks op and appends to ps the numbers of each input
// projected onto v.
func projectInputs(v *View, op JoinOp, as []Profiles, ps []bitmap.Audience) ([]bitmap.Audience, error) {
	if op < JoinAnd || op > JoinAndNot {
		return nil, ErrJoinOp
	}
	for _, a := range as {
		p, err := v.Project(a)
		if err != nil {
			return nil, fmt.Errorf("join: %w", err)
		}
		ps = append(ps, p.set)
	}
	return ps, nil
}
