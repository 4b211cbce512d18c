import { Title } from '@mantine/core'

export default function LeadsPage() {
  return <Title order={1}>LeadsPage</Title>
}
