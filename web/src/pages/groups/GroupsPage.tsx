import { Title } from '@mantine/core'

export default function GroupsPage() {
  return <Title order={1}>GroupsPage</Title>
}
