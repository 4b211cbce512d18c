import { Title } from '@mantine/core'

export default function TeacherCard(props: { id: number | null }) {
  return <Title order={1}>TeacherCard {String(props.id)}</Title>
}
