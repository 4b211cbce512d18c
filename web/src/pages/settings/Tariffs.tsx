import { Text } from '@mantine/core'

/** Placeholder: filled by the settings work. */
export function TariffsAndDiscounts() {
  return <Text>TariffsAndDiscounts</Text>
}
