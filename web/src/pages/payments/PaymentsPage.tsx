import { Title } from '@mantine/core'

export default function PaymentsPage() {
  return <Title order={1}>PaymentsPage</Title>
}
