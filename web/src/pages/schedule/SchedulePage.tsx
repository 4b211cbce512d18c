import { Title } from '@mantine/core'

export default function SchedulePage() {
  return <Title order={1}>SchedulePage</Title>
}
