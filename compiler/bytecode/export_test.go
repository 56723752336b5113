package bytecode

// Golden is golden, for the tests of package bytecode_test.
var Golden = golden
