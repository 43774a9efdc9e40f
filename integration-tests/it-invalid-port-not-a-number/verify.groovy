// A port that is not a number.
def log = new File(basedir, 'build.log').text
assert log.contains('Invalid archetype properties, nothing was generated')
assert log.contains("kafkaOutsidePort='abc': a port must be an integer from 1 to 65535") : 'the message names the property, the value and the rule'
assert log.contains("(for example -DkafkaOutsidePort=9092)") : 'the message says how to fix it'
assert !new File(basedir, 'clicks').exists() : 'a failed generation must leave no directory behind'
