// A topic Kafka would refuse.
def log = new File(basedir, 'build.log').text
assert log.contains('Invalid archetype properties, nothing was generated')
assert log.contains("topic='click log': a Kafka topic name uses only letters, digits") : 'the message names the property, the value and the rule'
assert log.contains("(for example -Dtopic=clicklog)") : 'the message says how to fix it'
assert !new File(basedir, 'clicks').exists() : 'a failed generation must leave no directory behind'
