package idtypes

import "crypto/sha256"

// HashEmail normalizes an email address as [Parse] does for Email (trim,
// check, lower-case) and returns the SHA-256 of the result as an EmailSHA256
// ID. Its String is the lower-case hex digest, as Experience Platform's
// Email_LC_SHA256 namespace and Audience Manager expect. An invalid address,
// a blocked value or a placeholder ([Placeholders]) gives a *ParseError for
// namespace Email, as Parse does.
func HashEmail(s string) (ID, error) {
	return hashValue(Email, EmailSHA256, s)
}

// HashPhone normalizes a phone number as [Parse] does for Phone and returns
// the SHA-256 of its E.164 form as a PhoneSHA256 ID. The '+' is part of what
// is hashed: "+1 (415) 555-2671" hashes "+14155552671". An invalid number,
// a blocked value or a placeholder gives a *ParseError for namespace Phone,
// as Parse does.
func HashPhone(s string) (ID, error) {
	return hashValue(Phone, PhoneSHA256, s)
}

func hashValue(from, to Namespace, s string) (ID, error) {
	v := trimSpace(s)
	if blocked(v) {
		return ID{}, parseError(from, s, ErrBlocked)
	}
	var buf [maxEmail]byte // the normal form is hashed from the stack
	var b []byte
	var err error
	if from == Email {
		b, err = normalizeEmail(buf[:0], v)
	} else {
		b, err = normalizePhone(buf[:0], v)
	}
	if err != nil {
		return ID{}, parseError(from, s, err)
	}
	if placeholder(from, b) {
		return ID{}, parseError(from, s, ErrPlaceholder)
	}
	sum := sha256.Sum256(b)
	return ID{ns: to, s: string(sum[:])}, nil
}
