// A node count the project has no topology for.
def log = new File(basedir, 'build.log').text
assert log.contains('Invalid archetype properties, nothing was generated')
assert log.contains("kafkaNodes='2': must be 1 (one broker) or 3 (a KRaft cluster of three nodes") : 'the message names the property, the value and the rule'
assert log.contains("(for example -DkafkaNodes=3)") : 'the message says how to fix it'
assert !new File(basedir, 'clicks').exists() : 'a failed generation must leave no directory behind'
