// Package resolve is the identity-resolution core of package reconcile. It
// works purely on uint32 identity ordinals: it keeps the append-only log of
// records (identities seen together, with a time), the plain connected
// components of all records, and resolves them under the linking rules into
// profiles, incrementally.
//
// Resolution replays the records of a component from newest to oldest (equal
// times in a canonical order of their identities) and joins each record's
// identities one at a time, highest priority first. A join that would put two
// identities of a unique namespace into one profile, or make a profile larger
// than MaxIdentities, is cut and reported. With no rules this gives the plain
// connected components.
//
// Views are immutable: a View maps each identity to its profile number and to
// the next member of its profile (a circular list), and each number to its
// key identity, in copy-on-write pages shared with the previous view.
// Graph.Resolve re-resolves only the components touched by records or
// erasures since the previous view.
//
// Profile numbers are dense and stable. A resolution from an empty view
// numbers the profiles 0..P-1 in increasing key ordinal. Later, a profile
// whose key was the key of a profile of the previous view keeps that
// profile's number; any other takes the next fresh number. A number whose
// key no longer keys a profile dies and is never handed out again, and its
// last key stays readable (View.Key), so that old numbers can be mapped to
// current profiles through their keys. Delta reports the numbers born, died
// and changed.
//
// Between passes a Graph holds 7 bytes per identity (union-find parent, a
// state byte, the namespace), 16 per record (time, packed start, the link of
// its component's record list) and 4 per record entry, besides the View. A
// pass's scratch lives only as long as the pass: arrays over every ordinal
// when it re-resolves a sizeable share of the graph, maps otherwise.
//
// A Graph is not safe for concurrent use; package reconcile guards it with a
// mutex. A View and a Records snapshot are immutable and safe for any number
// of concurrent readers, also while the Graph changes.
package resolve
