import { Title } from '@mantine/core'

export default function GroupCard(props: { id: number | null }) {
  return <Title order={1}>GroupCard {String(props.id)}</Title>
}
