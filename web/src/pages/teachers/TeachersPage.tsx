import { Title } from '@mantine/core'

export default function TeachersPage() {
  return <Title order={1}>TeachersPage</Title>
}
