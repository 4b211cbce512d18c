import { Title } from '@mantine/core'

export default function LessonPage(props: { id: number }) {
  return <Title order={1}>LessonPage {String(props.id)}</Title>
}
