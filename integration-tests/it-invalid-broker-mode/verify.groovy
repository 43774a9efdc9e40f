// A mode the archetype does not know.
def log = new File(basedir, 'build.log').text
assert log.contains('Invalid archetype properties, nothing was generated')
assert log.contains("brokerMode='kraftzk': must be kraft or zookeeper") : 'the message names the property, the value and the rule'
assert log.contains("(-DbrokerMode=kraft)") : 'the message says how to fix it'
assert !new File(basedir, 'clicks').exists() : 'a failed generation must leave no directory behind'
