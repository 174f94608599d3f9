// Publishing straight into this queue: the default exchange with the queue's name as routing key.
import { PublishForm } from '../../components/PublishForm';

export function PublishPanel({ vhost, queueName, onPublished }: { vhost: string; queueName: string; onPublished: () => void }) {
  return <PublishForm vhost={vhost} exchange="" routingKey={queueName} routingKeyEditable={false} onPublished={onPublished} />;
}
