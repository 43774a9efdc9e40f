// A sink the archetype does not know.
def log = new File(basedir, 'build.log').text
assert log.contains('Invalid archetype properties, nothing was generated')
assert log.contains("sink='mysql': must be jsonl (the consumer appends clicks to JSON Lines files) or postgres") : 'the message names the property, the value and the rule'
assert log.contains("(for example -Dsink=postgres)") : 'the message says how to fix it'
assert !new File(basedir, 'clicks').exists() : 'a failed generation must leave no directory behind'
