"""Smoke test with pika (Debian's python3-pika): declare, publish with confirms, get, consume, ack.
Usage: python3 pika_smoke.py AMQP_URL QUEUE_NAME. Prints OK and exits 0 on success."""
import sys

import pika

url, queue = sys.argv[1], sys.argv[2]
conn = pika.BlockingConnection(pika.URLParameters(url))
ch = conn.channel()
ch.confirm_delivery()
ch.queue_declare(queue=queue, auto_delete=False, arguments={"x-message-ttl": 60000})
for i in range(10):
    ch.basic_publish(
        exchange="",
        routing_key=queue,
        body=f"msg-{i}".encode(),
        properties=pika.BasicProperties(content_type="text/plain", delivery_mode=2, headers={"n": i}),
        mandatory=True,
    )
method, props, body = ch.basic_get(queue=queue, auto_ack=False)
assert body == b"msg-0", body
assert props.headers == {"n": 0}, props.headers
assert method.message_count == 9, method.message_count
ch.basic_ack(method.delivery_tag)
seen = []
for method, props, body in ch.consume(queue, inactivity_timeout=5):
    assert method is not None, "timed out waiting for deliveries"
    seen.append(body.decode())
    ch.basic_ack(method.delivery_tag)
    if len(seen) == 9:
        break
ch.cancel()
assert seen == [f"msg-{i}" for i in range(1, 10)], seen
ch.queue_delete(queue=queue)
conn.close()
print("OK")
