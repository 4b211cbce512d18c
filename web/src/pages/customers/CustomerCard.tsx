import { Title } from '@mantine/core'

export default function CustomerCard(props: { id: number | null }) {
  void props
  return <Title order={1}>CustomerCard</Title>
}
