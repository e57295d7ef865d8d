package model

import "regexp"

// cacheTagRE is a purge tag set in a cache policy: printable ASCII without
// spaces or commas (the separators of Surrogate-Key and Cache-Tag), at
// most 128 bytes, as the gateway accepts from response headers.
var cacheTagRE = regexp.MustCompile(`^[!-+\--~]{1,128}$`)
