import { Title } from '@mantine/core'

export default function CustomersPage() {
  return <Title order={1}>CustomersPage</Title>
}
